using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>What a snapshot's header says: how it is encoded and which state it holds.</summary>
/// <param name="FormatVersion">The format version (<see cref="SnapshotFormat.Version"/> for files this build writes).</param>
/// <param name="Codec">How the chunks are compressed.</param>
/// <param name="ChunkSize">Bytes of state per chunk; every chunk but the last holds exactly this many.</param>
/// <param name="Metadata">The last index and term the snapshot covers, and the membership at that point.</param>
public sealed record SnapshotHeader(byte FormatVersion, SnapshotCodec Codec, int ChunkSize, SnapshotMetadata Metadata);
