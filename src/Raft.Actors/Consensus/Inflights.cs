namespace Raft.Actors.Consensus;

/// <summary>
/// Appends sent to one follower and not yet acknowledged, bounded by count and bytes: the
/// leader's flow-control window in replicate state.
/// </summary>
internal sealed class Inflights(int maxCount, long maxBytes)
{
    private readonly Queue<(ulong LastIndex, long Bytes)> _window = new();
    private long _bytes;

    public int Count => _window.Count;

    public bool IsFull => _window.Count >= maxCount || (maxBytes > 0 && _bytes >= maxBytes);

    public void Add(ulong lastIndex, long bytes)
    {
        _window.Enqueue((lastIndex, bytes));
        _bytes += bytes;
    }

    /// <summary>Frees every append whose last index is ≤ <paramref name="index"/> (acknowledged).</summary>
    public void FreeUpTo(ulong index)
    {
        while (_window.Count > 0 && _window.Peek().LastIndex <= index)
        {
            _bytes -= _window.Dequeue().Bytes;
        }
    }

    /// <summary>Frees the oldest append, so a full window whose acks were lost can make progress again.</summary>
    public void FreeFirst()
    {
        if (_window.Count > 0)
        {
            _bytes -= _window.Dequeue().Bytes;
        }
    }

    public void Reset()
    {
        _window.Clear();
        _bytes = 0;
    }
}
