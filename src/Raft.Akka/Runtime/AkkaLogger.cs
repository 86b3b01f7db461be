using Akka.Event;
using Microsoft.Extensions.Logging;

namespace Raft.Akka.Runtime;

/// <summary>Hands what the core logs (<see cref="Microsoft.Extensions.Logging.ILogger"/>) to the actor system's logging.</summary>
internal sealed class AkkaLogger(ILoggingAdapter log) : Microsoft.Extensions.Logging.ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel switch
    {
        Microsoft.Extensions.Logging.LogLevel.Trace or Microsoft.Extensions.Logging.LogLevel.Debug => log.IsDebugEnabled,
        Microsoft.Extensions.Logging.LogLevel.Information => log.IsInfoEnabled,
        Microsoft.Extensions.Logging.LogLevel.Warning => log.IsWarningEnabled,
        Microsoft.Extensions.Logging.LogLevel.None => false,
        _ => log.IsErrorEnabled,
    };

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var text = formatter(state, exception);
        switch (logLevel)
        {
            case Microsoft.Extensions.Logging.LogLevel.Trace or Microsoft.Extensions.Logging.LogLevel.Debug:
                log.Debug(exception, "{0}", text);
                break;
            case Microsoft.Extensions.Logging.LogLevel.Information:
                log.Info(exception, "{0}", text);
                break;
            case Microsoft.Extensions.Logging.LogLevel.Warning:
                log.Warning(exception, "{0}", text);
                break;
            default:
                log.Error(exception, "{0}", text);
                break;
        }
    }
}
