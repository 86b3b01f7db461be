using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Raft.Actors.Transport.Tcp;
using Xunit;
using static Raft.Actors.Tests.Transport.TcpTestKit;

namespace Raft.Actors.Tests.Transport;

public sealed class TcpTransportTlsTests
{
    [Fact]
    public async Task Peers_with_trusted_certificates_exchange_messages_over_mutual_tls()
    {
        using var certificate1 = TestCertificates.Create("node-1");
        using var certificate2 = TestCertificates.Create("node-2");
        var roots = new X509Certificate2Collection { certificate1, certificate2 };
        await using var a = await TestNode.StartAsync(Options(1, tls: new TcpTlsOptions { ServerCertificate = certificate1, TrustedRoots = roots }));
        await using var b = await TestNode.StartAsync(Options(2, tls: new TcpTlsOptions { ServerCertificate = certificate2, TrustedRoots = roots }));
        Connect(a, b);

        a.Transport.Send([Heartbeat(1, 2, 7, 1), Heartbeat(1, 2, 8, 2)]);
        await b.Sink.WaitForCountAsync(2);
        b.Transport.Send([Heartbeat(2, 1, 7, 3)]);
        await a.Sink.WaitForCountAsync(1);

        Assert.Equal(1, a.Transport.Statistics.ConnectionsEstablished);
        Assert.Equal(0, a.Transport.Statistics.ConnectionsRefused + b.Transport.Statistics.ConnectionsRefused);
        TcpTransportTests.AssertSameConnection(a, b);
    }

    [Fact]
    public async Task A_peer_with_an_untrusted_certificate_is_refused_both_ways_and_nothing_is_delivered()
    {
        using var certificate1 = TestCertificates.Create("node-1");
        using var certificate2 = TestCertificates.Create("node-2");
        using var impostor = TestCertificates.Create("impostor");

        // a trusts the real node 2 only; the impostor, claiming to be node 2, trusts a.
        await using var a = await TestNode.StartAsync(Options(1, tls: new TcpTlsOptions { ServerCertificate = certificate1, TrustedRoots = [certificate1, certificate2] }));
        await using var m = await TestNode.StartAsync(Options(2, tls: new TcpTlsOptions { ServerCertificate = impostor, TrustedRoots = [certificate1, impostor] }));
        Connect(a, m);

        // The impostor dials a: a refuses the client certificate.
        m.Transport.Send([Heartbeat(2, 1, 7, 1)]);
        await a.Logger.WaitForAsync(LogLevel.Warning, "certificate 'CN=impostor'");
        var inbound = a.Logger.Entries.First(e => e.Text.Contains("CN=impostor", StringComparison.Ordinal));
        Assert.Contains("refused a connection from", inbound.Text, StringComparison.Ordinal);
        Assert.Contains("is not trusted", inbound.Text, StringComparison.Ordinal);

        // a dials the impostor: a refuses the server certificate.
        a.Transport.Send([Heartbeat(1, 2, 7, 2)]);
        await a.Logger.WaitForAsync(LogLevel.Warning, "refused its connection to node 2");
        Assert.Contains(a.Logger.Entries, e => e.Text.Contains("refused its connection to node 2", StringComparison.Ordinal) && e.Text.Contains("CN=impostor", StringComparison.Ordinal));

        Assert.True(a.Transport.Statistics.ConnectionsRefused >= 2, a.ToString());
        Assert.Equal(0, a.Transport.Statistics.ConnectionsEstablished);
        Assert.Equal(0, a.Sink.Count);
        Assert.Equal(0, m.Sink.Count);
    }

    [Fact]
    public async Task A_validation_callback_can_refuse_a_certificate_that_chains_to_a_trusted_root()
    {
        using var certificate1 = TestCertificates.Create("node-1");
        using var certificate2 = TestCertificates.Create("node-2");
        var roots = new X509Certificate2Collection { certificate1, certificate2 };

        // a pins node 1's own certificate only (say node 2's was revoked by the operator).
        var tlsA = new TcpTlsOptions
        {
            ServerCertificate = certificate1,
            TrustedRoots = roots,
            RemoteCertificateValidation = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == certificate1.GetCertHashString(),
        };
        await using var a = await TestNode.StartAsync(Options(1, tls: tlsA));
        await using var b = await TestNode.StartAsync(Options(2, tls: new TcpTlsOptions { ServerCertificate = certificate2, TrustedRoots = roots }));
        Connect(a, b);

        b.Transport.Send([Heartbeat(2, 1, 7, 1)]);

        await a.Logger.WaitForAsync(LogLevel.Warning, "was refused by TcpTlsOptions.RemoteCertificateValidation");
        Assert.Equal(0, a.Sink.Count);
        Assert.Equal(0, a.Transport.Statistics.ConnectionsEstablished);
    }
}
