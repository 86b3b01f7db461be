namespace Raft.Actors.Services;

/// <summary>What a <see cref="KvOperation"/> does.</summary>
public enum KvOperationKind
{
    /// <summary>Set the key.</summary>
    Put,

    /// <summary>Remove the key (absent is fine).</summary>
    Delete,

    /// <summary>Set the key if its value equals the expected one (null = absent); otherwise the batch fails.</summary>
    CompareAndPut,
}

/// <summary>One operation of a <see cref="IReplicatedKv.BatchAsync"/>.</summary>
public sealed class KvOperation
{
    private KvOperation(KvOperationKind kind, string key, ReadOnlyMemory<byte> value, ReadOnlyMemory<byte>? expected)
    {
        ArgumentNullException.ThrowIfNull(key);
        Kind = kind;
        Key = key;
        Value = value;
        Expected = expected;
    }

    /// <summary>What it does.</summary>
    public KvOperationKind Kind { get; }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The value to set (unused by <see cref="KvOperationKind.Delete"/>).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The value a <see cref="KvOperationKind.CompareAndPut"/> expects (null = absent).</summary>
    public ReadOnlyMemory<byte>? Expected { get; }

    /// <summary>Sets <paramref name="key"/>.</summary>
    public static KvOperation Put(string key, ReadOnlyMemory<byte> value) => new(KvOperationKind.Put, key, value, null);

    /// <summary>Removes <paramref name="key"/>.</summary>
    public static KvOperation Delete(string key) => new(KvOperationKind.Delete, key, default, null);

    /// <summary>Sets <paramref name="key"/> if its value is <paramref name="expected"/> (null = absent), or fails the batch.</summary>
    public static KvOperation CompareAndPut(string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value) => new(KvOperationKind.CompareAndPut, key, value, expected);
}
