using Akka.Actor;
using Akka.Configuration;
using Raft.Actors.Services;

namespace Raft.Akka.Persistence;

/// <summary>
/// What the journal and the snapshot store share: the actor system (kept, since an actor's
/// <c>Context</c> is not valid after an await), the key layout from the plugin's
/// <c>key-prefix</c>, and the key-value store of the group each persistence id hashes to.
/// </summary>
internal sealed class PersistenceStore(ActorSystem system, Config pluginConfig)
{
    private readonly RaftExtension _raft = RaftExtension.Get(system);

    /// <summary>The actor system whose serialization payloads go through.</summary>
    public ActorSystem System { get; } = system;

    /// <summary>The key layout.</summary>
    public PersistenceKeys Keys { get; } = new(pluginConfig.GetString("key-prefix", "akka/"));

    /// <summary>The store of the group that owns <paramref name="persistenceId"/>.</summary>
    public IReplicatedKv KvOf(string persistenceId) => _raft.ServicesFor(persistenceId).Kv;
}
