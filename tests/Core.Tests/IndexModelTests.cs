using CsCheck;
using ImageCache.Core;
using LanguageExt;
using LanguageExt.Common;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>
/// Model-based test of the index reducer (style-anchors §4 item 8b): the same generated command sequences are folded
/// into <see cref="Index.Reduce"/> and into <see cref="Model"/>, and after every step both hold the same set of records
/// and agree on whether the command failed.
/// </summary>
public class IndexModelTests
{
    /// <summary>
    /// The model: a plain dictionary from key to record, where the key is the record's canonical reference (its
    /// <c>canonical_ref</c>, else the canonical form of <c>image_ref</c>, else <c>image_ref</c> itself when that does not
    /// parse) paired with its platform. Matching a reference to records is delegated to <see cref="RefMatcher.Find"/>
    /// over the model's records (the matching rules have their own tests); what the model pins is the bookkeeping:
    /// <list type="bullet">
    /// <item>Upsert stores the record under its key, replacing whatever was there.</item>
    /// <item>Tag fails on an empty source or target, an unparseable or digest-pinned target, or a source that finds
    /// nothing; otherwise, for each platform among the records found, the first of them (in record order) is copied with
    /// <c>image_ref</c> = the trimmed target, <c>canonical_ref</c> = the target's canonical form and
    /// <c>last_used_at</c> = now, and stored under the target's key.</item>
    /// <item>Remove (without purge) fails when the reference finds nothing, otherwise deletes every record found.</item>
    /// <item>Touch fails when the reference finds nothing, otherwise sets <c>last_used_at</c> = now on every record found.</item>
    /// </list>
    /// A failing command leaves the model as it was.
    /// </summary>
    sealed class Model
    {
        readonly Dictionary<(string Key, Platform Platform), ImageRecord> records = new();

        static (string, Platform) KeyOf(ImageRecord record) =>
            (record.CanonicalRef.Length > 0 ? record.CanonicalRef : ImageRef.CanonicalOf(record.ImageRef).IfNone(record.ImageRef), record.Platform);

        public ImageRecord[] Records => Sorted(records.Values);

        ImageIndex AsIndex => new(toSeq(Records));

        /// <summary>Applies the command; returns the error code when it fails.</summary>
        public Option<int> Apply(IndexCommand command)
        {
            switch (command)
            {
                case IndexCommand.Upsert upsert:
                    records[KeyOf(upsert.Record)] = upsert.Record;
                    return None;

                case IndexCommand.Tag tag:
                {
                    var target = tag.Target.Trim();
                    if (tag.Source.Trim().Length == 0 || target.Length == 0) return Some(ErrorCodes.MissingArgument);
                    var parsed = ImageRef.Parse(target);
                    if (parsed.IsFail) return Some(ErrorCodes.InvalidReference);
                    var targetRef = Succ(parsed);
                    if (targetRef.Digest.IsSome || IsShaDigest(target)) return Some(ErrorCodes.InvalidTagTarget);
                    return Found(tag.Source, found =>
                    {
                        var firstPerPlatform = new Dictionary<Platform, ImageRecord>();
                        foreach (var record in found)
                            firstPerPlatform.TryAdd(record.Platform, record);
                        foreach (var source in firstPerPlatform.Values)
                        {
                            var copy = source with { ImageRef = target, CanonicalRef = targetRef.ToString(), LastUsedAt = Some(tag.Now) };
                            records[KeyOf(copy)] = copy;
                        }
                    });
                }

                case IndexCommand.Remove remove when !remove.Purge:
                    return Found(remove.Reference, found =>
                    {
                        foreach (var entry in records.Where(e => found.Contains(e.Value)).ToArray())
                            records.Remove(entry.Key);
                    });

                case IndexCommand.Touch touch:
                    return Found(touch.Reference, found =>
                    {
                        foreach (var entry in records.Where(e => found.Contains(e.Value)).ToArray())
                            records[entry.Key] = entry.Value with { LastUsedAt = Some(touch.Now) };
                    });

                default:
                    throw new Xunit.Sdk.XunitException($"the model does not understand {command}");
            }
        }

        Option<int> Found(string reference, Action<Seq<ImageRecord>> then) =>
            RefMatcher.Find(AsIndex, reference).Match(
                found => { then(found); return Option<int>.None; },
                (Error e) => Some(e.Code));
    }

    [Fact]
    public void The_reducer_and_a_dictionary_model_hold_the_same_records_after_every_command() =>
        Gens.ModelCommands.Sample(commands =>
        {
            var model = new Model();
            var index = ImageIndex.Empty;
            var step = 0;
            foreach (var command in commands)
            {
                step++;
                var modelError = model.Apply(command);
                var result = Index.Reduce(index, command);
                Assert.True(result.Match(_ => Option<int>.None, e => Some(e.Code)) == modelError,
                    $"step {step} {command}: reducer {result}, model {modelError}");
                result.IfSucc(reduction => index = reduction.Index);
                Assert.Equal(model.Records, index.Images.ToArray());
            }
        }, iter: 1000);

    [Fact]
    public void The_model_agrees_when_starting_from_a_generated_index() =>
        Gen.Select(Gens.Record.Array[0, 8], Gens.ModelCommands).Sample((initial, commands) =>
        {
            var model = new Model();
            var index = ImageIndex.Empty;
            foreach (var record in initial)
            {
                model.Apply(new IndexCommand.Upsert(record));
                index = Reduce(index, new IndexCommand.Upsert(record)).Index;
            }
            Assert.Equal(model.Records, index.Images.ToArray());
            foreach (var command in commands)
            {
                var modelError = model.Apply(command);
                var result = Index.Reduce(index, command);
                Assert.Equal(modelError, result.Match(_ => Option<int>.None, e => Some(e.Code)));
                result.IfSucc(reduction => index = reduction.Index);
                Assert.Equal(model.Records, index.Images.ToArray());
            }
        }, iter: 1000);
}
