using Raft.Actors.Consensus;

namespace Raft.Actors.Runtime;

/// <summary>How a <see cref="RaftReplica"/> runs its node.</summary>
public sealed class RaftReplicaOptions
{
    /// <summary>Default <see cref="TickInterval"/>: 50 ms, so the default election timeout is 0.5–1 s.</summary>
    public static readonly TimeSpan DefaultTickInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Default <see cref="ProposalTimeout"/>.</summary>
    public static readonly TimeSpan DefaultProposalTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The consensus configuration (id, group, membership, timeouts in ticks).</summary>
    public required RaftNodeOptions Node { get; init; }

    /// <summary>Length of one logical tick.</summary>
    public TimeSpan TickInterval { get; init; } = DefaultTickInterval;

    /// <summary>How long a proposal or read may wait before its outcome is reported unknown.</summary>
    public TimeSpan ProposalTimeout { get; init; } = DefaultProposalTimeout;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Node);
        Node.Validate();
        if (TickInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftReplicaOptions.TickInterval must be positive (was {TickInterval}).", nameof(TickInterval));
        }

        if (ProposalTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftReplicaOptions.ProposalTimeout must be positive (was {ProposalTimeout}).", nameof(ProposalTimeout));
        }
    }
}
