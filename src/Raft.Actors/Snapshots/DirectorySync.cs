using System.Runtime.InteropServices;

namespace Raft.Actors.Snapshots;

/// <summary>
/// Makes a directory's entries (a created, renamed or deleted file name) durable: <c>fsync</c> on a
/// descriptor of the directory itself, which .NET cannot open. Nothing to do on Windows, where
/// NTFS journals the metadata.
/// </summary>
/// <remarks>Same approach as the file log's <c>Fsync.Directory</c>; the two can merge into one.</remarks>
internal static class DirectorySync
{
    private const int Eintr = 4;

    public static void Flush(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return;
        }

        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{path}' to sync it: errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            int result;
            do
            {
                result = FSync(fd);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == Eintr);

            if (result != 0)
            {
                throw new IOException($"fsync of directory '{path}' failed with errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
