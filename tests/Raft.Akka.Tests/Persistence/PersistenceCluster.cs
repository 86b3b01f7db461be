using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Raft.Akka.Tests.Persistence;

/// <summary>Three nodes whose default journal and snapshot store are the Raft plugins; shared by a test class.</summary>
public sealed class PersistenceCluster : IAsyncLifetime
{
    public const string Hocon = """
        akka.persistence.journal.plugin = "akka.persistence.journal.raft"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.raft"
        akka.actor.serializers.refusing = "Raft.Akka.Tests.Persistence.RefusingSerializer, Raft.Akka.Tests"
        akka.actor.serialization-bindings { "Raft.Akka.Tests.Persistence.NotSerializable, Raft.Akka.Tests" = refusing }
        akka.actor.serialization-identifiers { "Raft.Akka.Tests.Persistence.RefusingSerializer, Raft.Akka.Tests" = 1837499 }
        """;

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public AkkaRaftCluster Cluster { get; } = new(extraHocon: Hocon);

    public ActorSystem System => Cluster[0];

    public IActorRef Journal => global::Akka.Persistence.Persistence.Instance.Apply(System).JournalFor(null);

    public IActorRef SnapshotStore => global::Akka.Persistence.Persistence.Instance.Apply(System).SnapshotStoreFor(null);

    public TestProbe Probe() => new(System, new XunitAssertions());

    public Task InitializeAsync() => Cluster.StartAsync();

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

/// <summary>An event no serializer accepts (bound to <see cref="RefusingSerializer"/>).</summary>
public sealed record NotSerializable(string Text);

public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 1_837_499;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new SerializationException($"{obj} is not serializable.");

    public override object FromBinary(byte[] bytes, Type? type) => throw new SerializationException("Nothing was serialized.");
}
