using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Raft.Actors.Snapshots;

/// <summary>
/// An unbuffered, write-only file stream that asks the kernel to start writing each
/// <see cref="WindowBytes"/> to the disk as soon as they are written (Linux
/// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>, which does not wait). The final fsync then has
/// only the last window left to wait for, instead of the whole snapshot: the disk works while the
/// workers compress, not after them. Elsewhere it is a plain file stream.
/// </summary>
/// <remarks>
/// This changes when data reaches the disk, never what is durable: durability still comes only
/// from <see cref="FlushToDisk"/>.
/// </remarks>
internal sealed class WritebackFileStream : Stream
{
    public const long WindowBytes = 8 << 20;

    private const uint SyncFileRangeWrite = 2;

    private readonly SafeFileHandle _handle;
    private long _position;
    private long _writebackFrom;
    private bool _writebackUnsupported = !OperatingSystem.IsLinux();

    public WritebackFileStream(string path)
    {
        _handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_handle.IsClosed;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        RandomAccess.Write(_handle, buffer, _position);
        _position += buffer.Length;
        StartWritebackIfDue();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await RandomAccess.WriteAsync(_handle, buffer, _position, cancellationToken).ConfigureAwait(false);
        _position += buffer.Length;
        StartWritebackIfDue();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Nothing is buffered here.</summary>
    public override void Flush()
    {
    }

    /// <summary>Makes every byte written durable (fsync).</summary>
    public void FlushToDisk() => RandomAccess.FlushToDisk(_handle);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private void StartWritebackIfDue()
    {
        if (_writebackUnsupported || _position - _writebackFrom < WindowBytes)
        {
            return;
        }

        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            if (SyncFileRange((int)_handle.DangerousGetHandle(), _writebackFrom, _position - _writebackFrom, SyncFileRangeWrite) != 0)
            {
                // Only a hint (e.g. not supported by this file system): stop asking; fsync still syncs.
                _writebackUnsupported = true;
            }

            _writebackFrom = _position;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(int fd, long offset, long nbytes, uint flags);
}
