namespace Raft.Actors.Services;

/// <summary>Settings of a <see cref="ReplicaGroupClient"/>.</summary>
public sealed class ReplicaGroupClientOptions
{
    /// <summary>Default <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="AttemptTimeout"/>.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="RetryDelay"/>.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a proposal or read may take, retries included, before it fails.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>How long one attempt at one replica may take before the client tries again (with the same id).</summary>
    public TimeSpan AttemptTimeout { get; init; } = DefaultAttemptTimeout;

    /// <summary>The pause before another attempt when no leader is known or an attempt failed.</summary>
    public TimeSpan RetryDelay { get; init; } = DefaultRetryDelay;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ReplicaGroupClientOptions.Timeout must be positive (was {Timeout}).", nameof(Timeout));
        }

        if (AttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ReplicaGroupClientOptions.AttemptTimeout must be positive (was {AttemptTimeout}).", nameof(AttemptTimeout));
        }

        if (RetryDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ReplicaGroupClientOptions.RetryDelay must be positive (was {RetryDelay}).", nameof(RetryDelay));
        }
    }
}
