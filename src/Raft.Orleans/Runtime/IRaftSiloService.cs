using Orleans.Concurrency;
using Orleans.Services;

namespace Raft.Orleans.Runtime;

/// <summary>
/// The per-silo grain service that hosts the silo's Raft replicas: the entry point of replica
/// traffic and of client requests. Addressed with <c>GetGrainService(SiloAddress)</c>.
/// </summary>
public interface IRaftSiloService : IGrainService
{
    /// <summary>
    /// Takes one frame of replica messages (<see cref="Actors.Protocol.MessageCodec"/>) for the
    /// groups this silo hosts. One-way: nothing comes back and a lost frame is for Raft to cope with.
    /// </summary>
    [OneWay]
    Task Deliver(byte[] frame);

    /// <summary>
    /// Runs one encoded <see cref="Actors.Routing.ReplicaRequest"/> on this silo's replica of its
    /// group and returns the encoded <see cref="Actors.Routing.ReplicaAnswer"/> (see
    /// <see cref="Actors.Routing.RoutingCodec"/>). Every outcome of the request is an answer; an
    /// exception means the request bytes were malformed.
    /// </summary>
    Task<byte[]> Invoke(byte[] request);

    /// <summary>
    /// Automatic membership: starts this silo's replica of <paramref name="group"/> (when it has
    /// none) with no configuration, so that the group's leader can add it as a learner. Completes
    /// once the replica runs.
    /// </summary>
    Task Join(ulong group);

    /// <summary>
    /// Stops this silo's replica of <paramref name="group"/> and deletes its data. Called by the
    /// group's leader once this silo's removal from the group is committed.
    /// </summary>
    Task Leave(ulong group);
}
