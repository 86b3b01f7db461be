namespace Raft.Actors.Services;

/// <summary><see cref="ISequence"/> over <see cref="RaftServices"/>.</summary>
internal sealed class ReplicatedSequence(RaftServices services, string name) : ISequence
{
    public string Name { get; } = name;

    public async Task<SequenceRange> NextAsync(long step = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        var result = await services.ProposeAsync(NextCommand(Name, step), cancellationToken).ConfigureAwait(false);
        return ReadRange(result);
    }

    public async Task<long> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        var result = await services.ReadAsync(new CommandWriter(ServiceOp.SequenceCurrent).WriteString(Name).ToArray(), cancellationToken).ConfigureAwait(false);
        return ReadCurrent(result);
    }

    // The command and its result, shared with the simulator's clients (Raft.Actors.Testing).
    internal static byte[] NextCommand(string name, long step) => new CommandWriter(ServiceOp.SequenceNext).WriteString(name).WriteInt64(step).ToArray();

    internal static SequenceRange ReadRange(ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var range = new SequenceRange(reader.ReadInt64(), reader.ReadInt64());
        reader.EnsureEnd();
        return range;
    }

    private static long ReadCurrent(ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var current = reader.ReadInt64();
        reader.EnsureEnd();
        return current;
    }
}
