namespace Orleans.Configuration;

/// <summary>Who changes the members of the silos' Raft groups (<see cref="RaftOptions.Membership"/>).</summary>
public enum RaftMembershipMode
{
    /// <summary>
    /// Every group is founded on <see cref="RaftOptions.Members"/> and nothing changes by itself:
    /// an operator adds and removes members with <c>RaftAdmin</c>.
    /// </summary>
    Manual = 0,

    /// <summary>
    /// The groups follow the Orleans cluster: a silo that becomes active joins groups as a learner
    /// and is promoted once caught up, each group keeps <see cref="RaftOptions.ReplicationFactor"/>
    /// voters spread over the silos, and a silo down for longer than
    /// <see cref="RaftOptions.DeadSiloGracePeriod"/> is replaced (the replacement is added and
    /// promoted before the dead member is removed). The leader's silo of each group decides for it.
    /// </summary>
    Automatic = 1,
}
