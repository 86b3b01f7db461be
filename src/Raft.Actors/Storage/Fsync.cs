using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Raft.Actors.Storage;

/// <summary>
/// Makes writes durable. On Linux a file's data is flushed with <c>fdatasync</c> (no inode
/// timestamp write, unlike <see cref="RandomAccess.FlushToDisk"/>, which is <c>fsync</c>), and a
/// directory is flushed with <c>fsync</c> on a descriptor of the directory itself, so that a
/// created, renamed or deleted file name survives a power loss. Elsewhere it falls back to what
/// .NET offers.
/// </summary>
internal static class Fsync
{
    private const int Eintr = 4;

    /// <summary>Flushes the data of <paramref name="handle"/> (and the size, when it grew) to the disk.</summary>
    public static void Data(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            int result;
            do
            {
                result = FDataSync(fd);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == Eintr);

            if (result != 0)
            {
                // After a failed sync the kernel may have dropped the dirty pages: retrying could
                // report success for data that never reached the disk. The caller must fault.
                throw new IOException($"fdatasync failed with errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Flushes the entries of directory <paramref name="path"/> (creations, renames, deletions).</summary>
    public static void Directory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return; // Windows has no directory handle to flush; NTFS journals the metadata.
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

    /// <summary>
    /// Asks the kernel to drop the cached pages of <paramref name="handle"/> (used by benchmarks to
    /// measure a cold reopen). Best effort; does nothing off Linux.
    /// </summary>
    public static void DropCache(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, 4 /* POSIX_FADV_DONTNEED */);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(int fd);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "posix_fadvise", SetLastError = true)]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);
}
