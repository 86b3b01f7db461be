using System.Runtime.CompilerServices;

namespace Raft.Actors.Runtime;

public sealed partial class RaftReplica
{
    private const int Idle = 0, Scheduled = 1, Stopped = 2;

    private static readonly Action<RaftReplica> s_onThreadPool =
        replica => ThreadPool.UnsafeQueueUserWorkItem(static r => r.RunPass(), replica, preferLocal: false);

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _passState;

    /// <summary>
    /// Puts an item in the mailbox and makes sure a pass will take it. Passes run one at a time:
    /// on the thread pool for a replica of its own, on its host's workers when hosted, where one
    /// worker runs the passes of many groups back to back and sends what they produced together.
    /// </summary>
    private void Post(object item)
    {
        _mailbox.Writer.TryWrite(item);
        RequestPass();
    }

    private void RequestPass()
    {
        // Until the node exists there is nothing to step; StartAsync asks again once it does.
        if (_node is not null && Interlocked.CompareExchange(ref _passState, Scheduled, Idle) == Idle)
        {
            (_hosting?.Schedule ?? s_onThreadPool)(this);
        }
    }

    /// <summary>Runs one scheduled pass; returns at once if the pass has to wait for storage, and ends it later.</summary>
    internal void RunPass()
    {
        var pass = RunPassAsync(_node!);
        if (pass.IsCompleted)
        {
            EndPass();
        }
        else
        {
            _ = EndPassAfterAsync(pass);
        }
    }

    private async Task EndPassAfterAsync(ValueTask pass)
    {
        await pass.ConfigureAwait(false);
        EndPass();
    }

    private void EndPass()
    {
        if (_mailbox.Reader.Completion.IsCompleted)
        {
            // Stopping, and the mailbox is drained: no pass ever runs again.
            Volatile.Write(ref _passState, Stopped);
            _stopped.TrySetResult();
            return;
        }

        Volatile.Write(ref _passState, Idle);

        // Something posted after the mailbox was drained saw the pass still running and did not
        // schedule one; it is picked up here. A stop request counts: it completes the mailbox.
        if (_mailbox.Reader.TryPeek(out _) || _mailbox.Reader.Completion.IsCompleted)
        {
            RequestPass();
        }
    }

    /// <summary>
    /// Awaits a store write. When the write completes later, a hosted replica resumes its pass on
    /// the host's workers, with the other groups' passes that the same write released, so their
    /// messages leave together; a replica of its own resumes wherever the write completed.
    /// </summary>
    private HostResumption ResumeOnHost(ValueTask write) => new(write, _hosting?.Resume);

    /// <summary>The awaitable of <see cref="ResumeOnHost"/>.</summary>
    private readonly struct HostResumption(ValueTask write, Action<Action>? resume) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => write.IsCompleted;

        public HostResumption GetAwaiter() => this;

        public void GetResult() => write.GetAwaiter().GetResult();

        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation)
        {
            var awaiter = write.ConfigureAwait(false).GetAwaiter();
            if (resume is null)
            {
                awaiter.UnsafeOnCompleted(continuation);
            }
            else
            {
                var host = resume;
                awaiter.UnsafeOnCompleted(() => host(continuation));
            }
        }
    }

    /// <summary>Refuses further items and waits until the last pass has ended.</summary>
    private Task StopPassesAsync()
    {
        _mailbox.Writer.TryComplete();
        if (_node is null)
        {
            return Task.CompletedTask;
        }

        RequestPass();
        return _stopped.Task;
    }
}
