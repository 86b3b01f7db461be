using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Tests.Consensus;

/// <summary>The node options a scenario varies; everything else keeps the library default.</summary>
internal sealed record ScenarioOptions
{
    /// <summary>The Raft paper's algorithm: no PreVote, no CheckQuorum.</summary>
    public static ScenarioOptions Paper { get; } = new() { PreVote = false, CheckQuorum = false };

    public bool PreVote { get; init; } = true;

    public bool CheckQuorum { get; init; } = true;

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 1;

    public int MaxInflightMessages { get; init; } = RaftNodeOptions.DefaultMaxInflightMessages;

    public int MaxEntriesPerMessage { get; init; } = int.MaxValue;

    public bool LeaseReads { get; init; }

    public PlantedBug PlantedBugs { get; init; }

    public RaftNodeOptions For(ulong id, ConfState configuration) => new()
    {
        Id = id,
        InitialConfiguration = configuration,
        PreVote = PreVote,
        CheckQuorum = CheckQuorum,
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = HeartbeatTicks,
        MaxInflightMessages = MaxInflightMessages,
        MaxEntriesPerMessage = MaxEntriesPerMessage,
        LeaseReads = LeaseReads,
        PlantedBugs = PlantedBugs,
    };
}
