namespace Raft.Actors.Snapshots;

/// <summary>Where a <see cref="FileSnapshotStore"/> keeps its files and how many it keeps.</summary>
public sealed class FileSnapshotStoreOptions
{
    /// <summary>Snapshots kept unless told otherwise: 2 (the newest, and one to fall back on).</summary>
    public const int DefaultRetain = 2;

    /// <summary>The directory for this group's snapshots; created when missing. One store per directory.</summary>
    public string Directory { get; set; } = "";

    /// <summary>How many published snapshots to keep, newest by index; at least 1.</summary>
    public int Retain { get; set; } = DefaultRetain;

    /// <summary>Codec, chunk size and workers for the snapshots this store writes and reads.</summary>
    public SnapshotOptions Snapshot { get; set; } = new();

    /// <summary>Throws when an option is out of range, naming the option and the value.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("FileSnapshotStoreOptions.Directory must be set.", nameof(Directory));
        }

        if (Retain < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Retain), Retain, "FileSnapshotStoreOptions.Retain must be at least 1.");
        }

        ArgumentNullException.ThrowIfNull(Snapshot, nameof(Snapshot));
        Snapshot.Validate();
    }
}
