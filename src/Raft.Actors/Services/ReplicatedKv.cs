namespace Raft.Actors.Services;

/// <summary><see cref="IReplicatedKv"/> over <see cref="RaftServices"/>.</summary>
internal sealed class ReplicatedKv(RaftServices services) : IReplicatedKv
{
    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await services.ReadAsync(GetQuery(key), cancellationToken).ConfigureAwait(false);
        return ReadOptionalBytes(result, null);
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        var result = await services.ProposeAsync(PutCommand(key, value.Span, fence), cancellationToken).ConfigureAwait(false);
        ReadNothing(result, fence);
    }

    public async Task<bool> DeleteAsync(string key, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        var result = await services.ProposeAsync(DeleteCommand(key, fence), cancellationToken).ConfigureAwait(false);
        return ReadBool(result, fence);
    }

    public async Task<byte[]?> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        var result = await services.ProposeAsync(PutIfAbsentCommand(key, value.Span, fence), cancellationToken).ConfigureAwait(false);
        return ReadOptionalBytes(result, fence);
    }

    public async Task<bool> CompareAndPutAsync(string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        var result = await services.ProposeAsync(CompareAndPutCommand(key, expected, value.Span, fence), cancellationToken).ConfigureAwait(false);
        return ReadBool(result, fence);
    }

    public async Task<byte[]?> GetAndPutAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        var result = await services.ProposeAsync(GetAndPutCommand(key, value.Span, fence), cancellationToken).ConfigureAwait(false);
        return ReadOptionalBytes(result, fence);
    }

    public Task<IReadOnlyList<KvEntry>> ScanAsync(string startKey, string? endKey, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startKey);
        return ScanAsync(startKey, endKey, null, limit, cancellationToken);
    }

    public Task<IReadOnlyList<KvEntry>> ScanPrefixAsync(string prefix, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ScanAsync(prefix, null, prefix, limit, cancellationToken);
    }

    public async Task<KvBatchResult> BatchAsync(IReadOnlyList<KvOperation> operations, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var command = WriteFence(new CommandWriter(ServiceOp.KvBatch), fence).WriteInt32(operations.Count);
        foreach (var operation in operations)
        {
            ArgumentNullException.ThrowIfNull(operation, nameof(operations));
            switch (operation.Kind)
            {
                case KvOperationKind.Put:
                    command.WriteByte((byte)ServiceOp.KvPut).WriteString(operation.Key).WriteBytes(operation.Value.Span);
                    break;
                case KvOperationKind.Delete:
                    command.WriteByte((byte)ServiceOp.KvDelete).WriteString(operation.Key);
                    break;
                default:
                    command.WriteByte((byte)ServiceOp.KvCompareAndPut).WriteString(operation.Key).WriteBytes(operation.Value.Span).WriteOptionalBytes(operation.Expected);
                    break;
            }
        }

        var result = await services.ProposeAsync(command.ToArray(), cancellationToken).ConfigureAwait(false);
        return new KvBatchResult(ReadInt32(result, fence));
    }

    private async Task<IReadOnlyList<KvEntry>> ScanAsync(string start, string? end, string? prefix, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var query = new CommandWriter(ServiceOp.KvScan).WriteString(start).WriteOptionalString(end).WriteOptionalString(prefix).WriteInt32(limit).ToArray();
        var result = await services.ReadAsync(query, cancellationToken).ConfigureAwait(false);
        return ReadEntries(result);
    }

    // The commands and their results, shared with the simulator's clients (Raft.Actors.Testing),
    // so that what it checks is what this client sends and reads.
    internal static byte[] GetQuery(string key) => new CommandWriter(ServiceOp.KvGet).WriteString(key).ToArray();

    internal static byte[] PutCommand(string key, ReadOnlySpan<byte> value, FencingToken? fence) =>
        Write(ServiceOp.KvPut, fence, key).WriteBytes(value).ToArray();

    internal static byte[] DeleteCommand(string key, FencingToken? fence) => Write(ServiceOp.KvDelete, fence, key).ToArray();

    internal static byte[] PutIfAbsentCommand(string key, ReadOnlySpan<byte> value, FencingToken? fence) =>
        Write(ServiceOp.KvPutIfAbsent, fence, key).WriteBytes(value).ToArray();

    internal static byte[] CompareAndPutCommand(string key, ReadOnlyMemory<byte>? expected, ReadOnlySpan<byte> value, FencingToken? fence) =>
        Write(ServiceOp.KvCompareAndPut, fence, key).WriteBytes(value).WriteOptionalBytes(expected).ToArray();

    internal static byte[] GetAndPutCommand(string key, ReadOnlySpan<byte> value, FencingToken? fence) =>
        Write(ServiceOp.KvGetAndPut, fence, key).WriteBytes(value).ToArray();

    internal static void ReadNothing(ReadOnlyMemory<byte> result, FencingToken? fence) => ServiceResult.Open(result.Span, fence).EnsureEnd();

    internal static bool ReadBool(ReadOnlyMemory<byte> result, FencingToken? fence)
    {
        var reader = ServiceResult.Open(result.Span, fence);
        var value = reader.ReadBool();
        reader.EnsureEnd();
        return value;
    }

    internal static byte[]? ReadOptionalBytes(ReadOnlyMemory<byte> result, FencingToken? fence)
    {
        var reader = ServiceResult.Open(result.Span, fence);
        var value = reader.ReadOptionalBytes();
        reader.EnsureEnd();
        return value;
    }

    private static CommandWriter Write(ServiceOp op, FencingToken? fence, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteFence(new CommandWriter(op), fence).WriteString(key);
    }

    private static CommandWriter WriteFence(CommandWriter writer, FencingToken? fence)
    {
        if (fence is not { } f)
        {
            return writer.WriteBool(false);
        }

        if (f.Lock is null)
        {
            throw new ArgumentException("A fencing token needs its lock's name.", nameof(fence));
        }

        return writer.WriteBool(true).WriteString(f.Lock).WriteInt64(f.Token);
    }

    private static int ReadInt32(ReadOnlyMemory<byte> result, FencingToken? fence)
    {
        var reader = ServiceResult.Open(result.Span, fence);
        var value = reader.ReadInt32();
        reader.EnsureEnd();
        return value;
    }

    private static List<KvEntry> ReadEntries(ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var count = reader.ReadInt32();
        var entries = new List<KvEntry>(Math.Clamp(count, 0, 1024));
        for (var i = 0; i < count; i++)
        {
            entries.Add(new KvEntry(reader.ReadString(), reader.ReadBytes()));
        }

        reader.EnsureEnd();
        return entries;
    }
}
