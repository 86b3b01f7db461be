using Microsoft.Extensions.Logging;
using Raft.Actors.Runtime;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Replica traffic over Orleans: one frame per destination node (<see cref="FrameTransport"/>),
/// sent as one one-way <see cref="IRaftSiloService.Deliver"/> call to the silo that is that node.
/// A node with no active silo is skipped.
/// </summary>
/// <remarks>Thread-safe; <see cref="FrameTransport.Send"/> never blocks and never throws.</remarks>
internal sealed partial class GrainServiceTransport(RaftSiloServiceClient client, SiloDirectory directory, ILogger<GrainServiceTransport> logger) : FrameTransport
{
    /// <inheritdoc />
    protected override bool CanReach(ulong node) => directory.SiloOf(node) is not null;

    /// <inheritdoc />
    protected override void SendFrame(ulong node, byte[] frame)
    {
        var silo = directory.SiloOf(node) ?? throw new InvalidOperationException($"Raft node {node} left the cluster.");
        var sent = client.On(silo).Deliver(frame);
        if (!sent.IsCompletedSuccessfully)
        {
            sent.ContinueWith(t => OnSendFailed(node, t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <inheritdoc />
    protected override void OnSendFailed(ulong node, Exception exception) => LogSendFailed(node, exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A frame of replica messages for node {Node} was not sent")]
    private partial void LogSendFailed(ulong node, Exception exception);
}
