using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Raft.Benchmarks;

/// <summary>
/// The disk's own cost of durability: a 4 KiB write over preallocated, already-written blocks
/// followed by fdatasync. Sampled between the store's appends, so that the baseline sees the
/// same disk (on a shared machine its latency moves a lot from minute to minute).
/// </summary>
internal sealed class RawSyncProbe : IDisposable
{
    private const int FileSize = 64 << 20;
    private const int BlockSize = 4096;
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly byte[] _block = new byte[BlockSize];
    private long _offset;

    public RawSyncProbe(string path)
    {
        _path = path;
        _handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var zeros = new byte[1 << 20];
        for (long offset = 0; offset < FileSize; offset += zeros.Length)
        {
            RandomAccess.Write(_handle, zeros, offset);
        }

        NativeSync.DataSync(_handle);
    }

    /// <summary>One 4 KiB write + fdatasync; microseconds.</summary>
    public double Sample()
    {
        Random.Shared.NextBytes(_block);
        var start = Stopwatch.GetTimestamp();
        RandomAccess.Write(_handle, _block, _offset);
        NativeSync.DataSync(_handle);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        _offset = (_offset + BlockSize) % FileSize;
        return elapsed;
    }

    public void Dispose()
    {
        _handle.Dispose();
        File.Delete(_path);
    }
}
