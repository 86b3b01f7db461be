using System.Collections.Concurrent;
using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

public sealed class SnapshotPipelineBoundTests
{
    [Fact]
    public void A_writer_with_a_slow_destination_never_has_more_than_twice_the_workers_chunks_in_flight()
    {
        const int workers = 4;
        var state = State(100 * SmallChunk);
        var destination = new SlowStream();
        var violations = new ConcurrentQueue<string>();
        SnapshotWriter? writer = null;
        var options = Options(SnapshotCodec.Lz4, SmallChunk, workers);

        // Seen from the workers: chunk n is only handed out once chunk n - 2 × workers was written.
        options.BeforeChunk = n =>
        {
            var written = Volatile.Read(ref writer)!.ChunksWritten;
            if (n >= written + (2 * workers))
            {
                violations.Enqueue($"chunk {n} started with only {written} written");
            }
        };

        using (writer = new SnapshotWriter(destination, Metadata(), options))
        {
            writer.Write(state);
            writer.Complete();

            Assert.Equal(2 * workers, writer.ChunkCapacity);
            Assert.Equal(writer.ChunkCapacity, writer.MaxChunksInFlight); // Reached, so the bound was tested.
        }

        Assert.Empty(violations);
    }

    [Fact]
    public void A_reader_with_a_slow_consumer_never_has_more_than_twice_the_workers_chunks_in_flight()
    {
        const int workers = 3;
        var state = State(60 * SmallChunk);
        var file = Write(state, Options(SnapshotCodec.Lz4));
        using var reader = SnapshotReader.Open(new MemoryStream(file), "slow", new SnapshotOptions { Workers = workers });

        var read = new MemoryStream();
        var buffer = new byte[100];
        for (var n = reader.Read(buffer); n > 0; n = reader.Read(buffer))
        {
            read.Write(buffer, 0, n);
            Thread.SpinWait(2000);
        }

        Assert.Equal(state, read.ToArray());
        Assert.Equal(2 * workers, reader.ChunkCapacity);
        Assert.Equal(reader.ChunkCapacity, reader.MaxChunksInFlight);
    }

    private sealed class SlowStream : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Thread.Sleep(1);
            base.Write(buffer);
        }
    }
}
