using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Mutual TLS for a <see cref="TcpTransport"/>: every connection is wrapped in an
/// <see cref="SslStream"/>, each side presents a certificate, and each side checks the other's
/// before the transport handshake starts. A peer whose certificate is missing or not trusted is
/// refused and the reason logged.
/// </summary>
/// <remarks>
/// Nodes are identified by node id, not by host name, so the certificate's subject names are not
/// compared with the address dialed: with <see cref="TrustedRoots"/>, any certificate issued under
/// one of those roots is a member of the cluster. Use a private CA per cluster (never public roots),
/// and <see cref="RemoteCertificateValidation"/> to pin certificates further.
/// </remarks>
public sealed class TcpTlsOptions
{
    /// <summary>The certificate, with its private key, this node presents when it accepts a connection.</summary>
    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>The certificate, with its private key, this node presents when it dials; null uses <see cref="ServerCertificate"/>.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// The roots a peer's certificate must chain to (revocation is not checked); the peer's
    /// certificate must also allow its role (server or client authentication) when it names
    /// its uses. Null leaves the decision to <see cref="RemoteCertificateValidation"/> alone.
    /// </summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>
    /// Asked about every peer certificate, after the <see cref="TrustedRoots"/> check passed when
    /// there are roots; true accepts. It receives the platform's own verdict (its chain and
    /// <see cref="SslPolicyErrors"/>, against the system's roots and the dialed name), which a
    /// callback that pins certificates may ignore. Called on the thread doing the handshake; must
    /// be thread-safe.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (ServerCertificate is null)
        {
            throw new ArgumentException("TcpTlsOptions.ServerCertificate is required (was null).", nameof(ServerCertificate));
        }

        if (!ServerCertificate.HasPrivateKey)
        {
            throw new ArgumentException($"TcpTlsOptions.ServerCertificate ({ServerCertificate.Subject}) has no private key.", nameof(ServerCertificate));
        }

        if (ClientCertificate is { HasPrivateKey: false })
        {
            throw new ArgumentException($"TcpTlsOptions.ClientCertificate ({ClientCertificate.Subject}) has no private key.", nameof(ClientCertificate));
        }

        // Trusting the system's roots would admit any holder of a publicly issued certificate
        // into the cluster: the trust decision has to be stated.
        if (TrustedRoots is not { Count: > 0 } && RemoteCertificateValidation is null)
        {
            throw new ArgumentException("TcpTlsOptions needs TrustedRoots (non-empty) or RemoteCertificateValidation: the system's roots are never trusted implicitly.", nameof(TrustedRoots));
        }
    }
}
