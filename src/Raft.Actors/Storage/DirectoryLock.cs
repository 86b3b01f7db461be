using System.Globalization;
using System.Text;

namespace Raft.Actors.Storage;

/// <summary>
/// Keeps a second process (or a second store in this process) out of a log directory: a file
/// named <c>lock</c> held open with <see cref="FileShare.None"/>, which .NET on Unix backs with an
/// exclusive <c>flock</c>. The kernel drops the lock when the process dies, so a crash never
/// leaves the directory locked.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    public const string FileName = "lock";
    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    public static DirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The log directory '{directory}' is in use: another process (or another store in this one) holds '{path}'.", ex);
        }

        try
        {
            // For a human wondering who holds it; the lock itself is the open file.
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            stream.SetLength(0);
            stream.Write(pid);
            stream.Flush();
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return new DirectoryLock(stream);
    }

    public void Dispose() => _stream.Dispose();
}
