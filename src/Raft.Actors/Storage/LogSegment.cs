using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Raft.Actors.Storage;

/// <summary>Where an entry's record lies inside its segment.</summary>
internal readonly record struct RecordLocation(int Offset, int Length);

/// <summary>
/// One segment file of a <see cref="FileLogStore"/> or <see cref="SharedLog"/>: a preallocated,
/// zero-filled file that records are appended to. Which of its records are live is kept by the
/// <see cref="LogIndex"/> of each log that wrote them (as <see cref="LogExtent"/>s); records of
/// entries later replaced by a truncation stay in the file and are simply no longer indexed.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    public const string Extension = ".wal";
    public const string TemporaryExtension = ".wal.tmp";
    private const int ZeroChunk = 1 << 20;
    private static readonly byte[] s_zeros = new byte[ZeroChunk];

    private LogSegment(ulong sequence, string path, SafeFileHandle handle, long length)
    {
        Sequence = sequence;
        Path = path;
        Handle = handle;
        Length = length;
    }

    /// <summary>The segment's number, increasing with each new segment; also its file name.</summary>
    public ulong Sequence { get; }

    public string Path { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>File length: preallocated capacity, or more when a large batch grew it.</summary>
    public long Length { get; set; }

    /// <summary>End of the durable records; the next batch is written here. 0: no header yet.</summary>
    public long WriteOffset { get; set; }

    public static string FileName(ulong sequence) => sequence.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    public static bool TryParseFileName(string fileName, out ulong sequence)
    {
        sequence = 0;
        return fileName.Length == 20 + Extension.Length && fileName.EndsWith(Extension, StringComparison.Ordinal) &&
            ulong.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>Opens an existing segment file for reading and writing.</summary>
    public static LogSegment Open(string directory, ulong sequence)
    {
        var path = System.IO.Path.Combine(directory, FileName(sequence));
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return new LogSegment(sequence, path, handle, RandomAccess.GetLength(handle));
    }

    /// <summary>
    /// Creates segment <paramref name="sequence"/> filled with zeros: written under a temporary
    /// name, synced, renamed, and the directory synced, so a segment file that exists under its
    /// final name is always fully allocated. Writing real zeros (rather than fallocate's unwritten
    /// extents) lets each later sync overwrite blocks in place, which costs less than an append.
    /// </summary>
    public static LogSegment Create(string directory, ulong sequence, long length)
    {
        var path = System.IO.Path.Combine(directory, FileName(sequence));
        var temporary = System.IO.Path.Combine(directory, sequence.ToString("D20", CultureInfo.InvariantCulture) + TemporaryExtension);
        var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            for (long offset = 0; offset < length; offset += ZeroChunk)
            {
                RandomAccess.Write(handle, s_zeros.AsSpan(0, (int)Math.Min(ZeroChunk, length - offset)), offset);
            }

            Fsync.Data(handle);
            File.Move(temporary, path, overwrite: true); // a leftover under the final name is an unused spare
            Fsync.Directory(directory);
        }
        catch
        {
            handle.Dispose();
            File.Delete(temporary);
            throw;
        }

        return new LogSegment(sequence, path, handle, length);
    }

    /// <summary>Writes zeros over [<paramref name="from"/>, <paramref name="to"/>) and syncs.</summary>
    public void Zero(long from, long to)
    {
        for (var offset = from; offset < to; offset += ZeroChunk)
        {
            RandomAccess.Write(Handle, s_zeros.AsSpan(0, (int)Math.Min(ZeroChunk, to - offset)), offset);
        }

        Fsync.Data(Handle);
    }

    public void Dispose() => Handle.Dispose();
}
