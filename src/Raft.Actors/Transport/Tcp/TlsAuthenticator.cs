using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Wraps connections in <see cref="SslStream"/> for <see cref="TcpTlsOptions"/>: mutual
/// authentication, each side checking the other's certificate. Thread-safe.
/// </summary>
internal sealed class TlsAuthenticator
{
    private static readonly Oid s_serverAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid s_clientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly TcpTlsOptions _options;
    private readonly SslStreamCertificateContext _serverContext;
    private readonly SslStreamCertificateContext _clientContext;

    public TlsAuthenticator(TcpTlsOptions options)
    {
        _options = options;
        _serverContext = SslStreamCertificateContext.Create(options.ServerCertificate, additionalCertificates: null, offline: true);
        _clientContext = SslStreamCertificateContext.Create(options.ClientCertificate ?? options.ServerCertificate, additionalCertificates: null, offline: true);
    }

    /// <summary>Authenticates the accepting side; the dialer must present a trusted client certificate.</summary>
    /// <exception cref="TlsHandshakeException">The handshake failed; says whether this side refused the peer's certificate, and why.</exception>
    public async Task<SslStream> AuthenticateAsServerAsync(Stream inner, CancellationToken cancellationToken)
    {
        var verdict = new Verdict();
        var stream = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _serverContext,
            ClientCertificateRequired = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => Check(sender, certificate, chain, errors, s_clientAuthentication, verdict),
        };
        await AuthenticateAsync(stream, verdict, s => s.AuthenticateAsServerAsync(options, cancellationToken)).ConfigureAwait(false);
        return stream;
    }

    /// <summary>Authenticates the dialing side; the acceptor must present a trusted server certificate.</summary>
    /// <exception cref="TlsHandshakeException">The handshake failed; says whether this side refused the peer's certificate, and why.</exception>
    public async Task<SslStream> AuthenticateAsClientAsync(Stream inner, string targetHost, CancellationToken cancellationToken)
    {
        var verdict = new Verdict();
        var stream = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ClientCertificateContext = _clientContext,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => Check(sender, certificate, chain, errors, s_serverAuthentication, verdict),
        };
        await AuthenticateAsync(stream, verdict, s => s.AuthenticateAsClientAsync(options, cancellationToken)).ConfigureAwait(false);
        return stream;
    }

    private static async Task AuthenticateAsync(SslStream stream, Verdict verdict, Func<SslStream, Task> authenticate)
    {
        try
        {
            await authenticate(stream).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw verdict.Reason is { } reason
                ? new TlsHandshakeException(refusedHere: true, reason, ex)
                : new TlsHandshakeException(refusedHere: false, $"TLS handshake failed: {ex.Message}", ex);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private bool Check(object sender, X509Certificate? certificate, X509Chain? platformChain, SslPolicyErrors errors, Oid usage, Verdict verdict)
    {
        if (certificate is null)
        {
            verdict.Reason = "the peer presented no certificate";
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (_options.TrustedRoots is { Count: > 0 } roots)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
            if (platformChain is not null)
            {
                // Intermediates the peer sent along with its certificate.
                chain.ChainPolicy.ExtraStore.AddRange(platformChain.ChainPolicy.ExtraStore);
                foreach (var element in platformChain.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            if (!chain.Build(leaf))
            {
                verdict.Reason = $"certificate '{leaf.Subject}' (thumbprint {leaf.Thumbprint}) is not trusted: {Describe(chain.ChainStatus)}";
                return false;
            }
        }

        if (_options.RemoteCertificateValidation is { } callback && !callback(sender, certificate, platformChain, errors))
        {
            verdict.Reason = $"certificate '{leaf.Subject}' (thumbprint {leaf.Thumbprint}) was refused by TcpTlsOptions.RemoteCertificateValidation";
            return false;
        }

        return true;
    }

    private static string Describe(X509ChainStatus[] statuses)
    {
        if (statuses.Length == 0)
        {
            return "the chain could not be built";
        }

        var parts = new string[statuses.Length];
        for (var i = 0; i < statuses.Length; i++)
        {
            parts[i] = $"{statuses[i].Status} ({statuses[i].StatusInformation.Trim()})";
        }

        return string.Join("; ", parts);
    }

    /// <summary>Why this side refused the peer's certificate, set by the validation callback.</summary>
    private sealed class Verdict
    {
        public string? Reason { get; set; }
    }
}

/// <summary>A TLS handshake failed; <see cref="RefusedHere"/> when this side refused the peer's certificate (the message says why).</summary>
internal sealed class TlsHandshakeException(bool refusedHere, string message, Exception inner) : Exception(message, inner)
{
    public bool RefusedHere { get; } = refusedHere;
}
