using Akka.Configuration;
using Akka.Hosting;

namespace Raft.Akka.Hosting;

/// <summary>Akka.Hosting builder methods for Raft.</summary>
public static class RaftHostingExtensions
{
    /// <summary>
    /// Adds this package's configuration (the <c>akka.raft</c> section from
    /// <paramref name="configure"/>, the serializer binding, the journal, snapshot store and
    /// lease sections) and starts the <see cref="RaftExtension"/> with the actor system, so that
    /// bad settings fail startup with a <see cref="ConfigurationException"/> naming the setting.
    /// </summary>
    public static AkkaConfigurationBuilder WithRaft(this AkkaConfigurationBuilder builder, Action<RaftSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var settings = new RaftSettings();
        configure(settings);
        settings.Validate();
        builder.AddHocon(ConfigurationFactory.ParseString(settings.ToHocon()), HoconAddMode.Prepend);
        builder.AddHocon(RaftExtension.DefaultConfig(), HoconAddMode.Append);
        builder.WithExtensions(typeof(RaftExtensionProvider));
        return builder;
    }
}
