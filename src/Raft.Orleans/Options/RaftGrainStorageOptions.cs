using Orleans.Storage;

namespace Orleans.Configuration;

/// <summary>Settings of one Raft grain storage provider (<c>siloBuilder.AddRaftGrainStorage(name, ...)</c>).</summary>
public sealed class RaftGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>
    /// How grain state becomes bytes. Left unset, it is the serializer registered for this
    /// provider's name, else the silo's default <see cref="IGrainStorageSerializer"/>.
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
