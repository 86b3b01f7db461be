using System.Buffers;

namespace Raft.Actors.Snapshots;

/// <summary>One chunk's buffers and state while it moves through a <see cref="ChunkPipeline"/>.</summary>
internal sealed class ChunkSlot
{
    /// <summary>The chunk frame's 20 bytes (written by the compressing worker, read from the file by the reader).</summary>
    public readonly byte[] FrameHeader = new byte[SnapshotFormat.ChunkFrameHeaderLength];

    /// <summary>Signalled by the worker when it is done with the chunk.</summary>
    public readonly SemaphoreSlim Done = new(0, 1);

    /// <summary>The state bytes (chunk size, from the pool).</summary>
    public byte[] Raw = [];

    /// <summary>The bytes as stored (chunk size, from the pool).</summary>
    public byte[] Stored = [];

    public long Number;
    public long Offset;
    public int RawLength;
    public int StoredLength;
    public bool StoredAsIs;
    public Exception? Error;
}

/// <summary>
/// Runs one step (compress, or verify and decompress) over a sequence of chunks on N worker threads,
/// with at most 2 × N chunks in flight and results taken in order.
/// </summary>
/// <remarks>
/// <para>One owner thread drives it (the thread calling <c>Write</c> or <c>Read</c> on the stream):
/// it fills the slot for chunk <c>n</c> (<see cref="SlotFor"/>), <see cref="Submit"/>s it, later waits
/// for its <see cref="ChunkSlot.Done"/> and takes the result, then <see cref="Retire"/>s it. Chunk
/// <c>n</c> uses slot <c>n mod capacity</c>, so the owner may fill chunk <c>n</c> only after it
/// retired chunk <c>n − capacity</c>; that is what bounds memory. Workers take chunks in submission
/// order, so a worker never waits for a chunk that was not submitted.</para>
/// <para>Workers are dedicated threads, started at the first chunk (an empty snapshot starts none)
/// and stopped by <see cref="Dispose"/>. They are not pool threads because the owner blocks on them
/// from synchronous <c>Stream</c> calls, which on a starved thread pool would deadlock.</para>
/// </remarks>
internal sealed class ChunkPipeline : IDisposable
{
    private readonly ChunkSlot[] _slots;
    private readonly int _chunkSize;
    private readonly int _workerCount;
    private readonly SnapshotCodec _codec;
    private readonly Action<ChunkSlot, ChunkCodec> _process;
    private readonly Action<long>? _beforeChunk;
    private readonly SemaphoreSlim _work = new(0);
    private Thread[]? _threads;
    private long _taken;
    private volatile bool _stopping;
    private bool _disposed;

    public ChunkPipeline(int workers, int chunkSize, SnapshotCodec codec, Action<ChunkSlot, ChunkCodec> process, Action<long>? beforeChunk)
    {
        _workerCount = workers;
        _chunkSize = chunkSize;
        _codec = codec;
        _process = process;
        _beforeChunk = beforeChunk;
        _slots = new ChunkSlot[2 * workers];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ChunkSlot();
        }
    }

    /// <summary>Most chunks that may be between <see cref="Submit"/> and <see cref="Retire"/>: 2 × workers.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Chunks submitted and not yet retired.</summary>
    public int InFlight { get; private set; }

    /// <summary>The most chunks that were ever in flight at once (instrumentation for tests).</summary>
    public int MaxInFlight { get; private set; }

    /// <summary>The slot for chunk <paramref name="number"/>, its buffers rented on first use.</summary>
    public ChunkSlot SlotFor(long number)
    {
        var slot = _slots[number % _slots.Length];
        if (slot.Raw.Length == 0)
        {
            slot.Raw = ArrayPool<byte>.Shared.Rent(_chunkSize);
            slot.Stored = ArrayPool<byte>.Shared.Rent(_chunkSize);
        }

        return slot;
    }

    /// <summary>Hands a filled slot to the workers.</summary>
    public void Submit(ChunkSlot slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (InFlight == Capacity)
        {
            throw new InvalidOperationException($"Chunk pipeline over capacity: {InFlight} chunks in flight, capacity {Capacity}.");
        }

        _threads ??= StartWorkers();
        InFlight++;
        MaxInFlight = Math.Max(MaxInFlight, InFlight);
        _work.Release();
    }

    /// <summary>The owner took the result of the oldest chunk in flight; its slot may be filled again.</summary>
    public void Retire() => InFlight--;

    /// <summary>Stops the workers (a chunk being processed is finished first) and returns the buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_threads is not null)
        {
            _stopping = true;
            _work.Release(_threads.Length);
            foreach (var thread in _threads)
            {
                thread.Join();
            }
        }

        foreach (var slot in _slots)
        {
            if (slot.Raw.Length != 0)
            {
                ArrayPool<byte>.Shared.Return(slot.Raw);
                ArrayPool<byte>.Shared.Return(slot.Stored);
                slot.Raw = [];
                slot.Stored = [];
            }

            slot.Done.Dispose();
        }

        _work.Dispose();
    }

    private Thread[] StartWorkers()
    {
        var threads = new Thread[_workerCount];
        for (var i = 0; i < threads.Length; i++)
        {
            // The codec is made here so that a failure surfaces to the owner, not in a dead thread.
            var codec = ChunkCodec.Create(_codec);
            threads[i] = new Thread(() => Work(codec)) { IsBackground = true, Name = $"Raft snapshot worker {i}" };
            threads[i].Start();
        }

        return threads;
    }

    private void Work(ChunkCodec codec)
    {
        try
        {
            while (true)
            {
                _work.Wait();
                if (_stopping)
                {
                    return;
                }

                var slot = _slots[(Interlocked.Increment(ref _taken) - 1) % _slots.Length];
                try
                {
                    _beforeChunk?.Invoke(slot.Number);
                    _process(slot, codec);
                    slot.Error = null;
                }
                catch (Exception e)
                {
                    // Handed to the owner in chunk order; a worker thread never dies of a chunk.
                    slot.Error = e;
                }

                slot.Done.Release();
            }
        }
        finally
        {
            codec.Dispose();
        }
    }
}
