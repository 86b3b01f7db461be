namespace Raft.Actors.Tests.Storage;

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
internal sealed class StorageTestDirectory : IDisposable
{
    public StorageTestDirectory(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "raft-storage-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
