using System.Globalization;
using System.Security.Cryptography;

namespace Raft.Actors.Storage;

/// <summary>
/// The <c>disk-id</c> file of a store directory: 16 hex digits drawn at random when the
/// directory is first used, published atomically and never rewritten. A wiped directory gets
/// a new one, which is how the group tells a node that lost its disk from one that restarted.
/// </summary>
internal static class DiskIdFile
{
    public const string FileName = "disk-id";

    /// <summary>Reads the directory's disk id, creating it durably if the directory has none.</summary>
    /// <exception cref="LogCorruptedException">The file exists but does not hold a disk id.</exception>
    public static ulong ReadOrCreate(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length != 16 || !ulong.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) || id == 0)
            {
                throw new LogCorruptedException(path, 0, $"'{path}' does not hold a disk id (16 hex digits, not all zero).");
            }

            return id;
        }

        var created = NewDiskId();
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(created.ToString("x16", CultureInfo.InvariantCulture) + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path);
        Fsync.Directory(directory);
        return created;
    }

    /// <summary>A random non-zero disk id.</summary>
    public static ulong NewDiskId()
    {
        ulong id;
        do
        {
            id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        while (id == 0);
        return id;
    }
}
