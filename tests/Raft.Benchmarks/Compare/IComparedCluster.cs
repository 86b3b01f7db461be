namespace Raft.Benchmarks.Compare;

/// <summary>A three-node cluster under test: writers append entries through its current leader.</summary>
internal interface IComparedCluster : IAsyncDisposable
{
    /// <summary>Which system and configuration this is, for the output.</summary>
    string Name { get; }

    /// <summary>Completes once a single leader is known to the harness.</summary>
    Task WaitForLeaderAsync(CancellationToken cancellationToken);

    /// <summary>The command a writer proposes, about <paramref name="bytes"/> long, made once per writer.</summary>
    ReadOnlyMemory<byte> MakeCommand(int writer, int bytes);

    /// <summary>
    /// Appends <paramref name="command"/> through the leader and completes once it is committed;
    /// false when it was not (no leader, leadership lost): the writer retries.
    /// </summary>
    Task<bool> ProposeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken);
}
