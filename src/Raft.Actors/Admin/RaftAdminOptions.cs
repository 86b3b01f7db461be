namespace Raft.Actors.Admin;

/// <summary>Settings of a <see cref="RaftAdmin"/>.</summary>
public sealed class RaftAdminOptions
{
    /// <summary>A learner counts as caught up, and may be promoted, once it is at most this many entries behind the leader.</summary>
    public ulong CatchUpLag { get; init; } = 100;

    /// <summary>How long an operation waits for a leader, for a learner to catch up, or for a change to commit.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often status is polled while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftAdminOptions.Timeout ({Timeout}) and PollInterval ({PollInterval}) must be positive.", nameof(Timeout));
        }
    }
}
