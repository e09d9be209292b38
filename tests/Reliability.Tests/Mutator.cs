using System.Text;
using CsCheck;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// A mutation fuzzer on CsCheck's generators: a seed input (chosen from a corpus) changed by one to eight edits —
/// byte overwrites, bit flips, inserted and deleted runs, a duplicated slice, an "interesting" token written over
/// the bytes (numbers at the edges, octal and base-256 field values, JSON punctuation and values), and a cut.
/// CsCheck shrinks a failure to a small edit list and prints the seed to replay it.
/// </summary>
internal static class Mutator
{
    static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "0", "-1", "-0", "1e400", "9223372036854775807", "18446744073709551616", "4294967296", "77777777777", "\0", " ", "\n", "=",
            "null", "true", "\"\"", "[]", "{}", "[", "{", "}", "]", ",", ":", "\"", "\\u0000", "\\ud800", "sha256:", "sha512:",
            "../", "/", "./", "..", "ustar\0", "ustar  \0", "00", "PaxHeaders", "path=", "size=", "linkpath=", "GNU.sparse.",
        }.Select(Encoding.UTF8.GetBytes),
        [0x80, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0xC3], [0xFE, 0xFF],
        Encoding.UTF8.GetBytes(new string('[', 200)), Encoding.UTF8.GetBytes(new string('9', 40)),
    ];

    /// <summary>One edit: (kind, position fraction, value, length).</summary>
    static readonly Gen<(int Kind, double At, int Value, int Length)> Edit =
        Gen.Select(Gen.Int[0, 7], Gen.Double[0, 1], Gen.Int[0, 255], Gen.Int[1, 600]);

    public static Gen<byte[]> Over(IReadOnlyList<byte[]> corpus) =>
        from seed in Gen.Int[0, corpus.Count - 1]
        from edits in Edit.Array[1, 8]
        select Apply(corpus[seed], edits);

    static byte[] Apply(byte[] seed, (int Kind, double At, int Value, int Length)[] edits)
    {
        var data = new List<byte>(seed);
        foreach (var (kind, at, value, length) in edits)
        {
            var position = Math.Min(data.Count, (int)(at * data.Count));
            switch (kind)
            {
                case 0 when position < data.Count: data[position] = (byte)value; break;
                case 1 when position < data.Count: data[position] ^= (byte)(1 << (value & 7)); break;
                case 2: data.InsertRange(position, Enumerable.Repeat((byte)value, length % 64 + 1)); break;
                case 3: data.RemoveRange(position, Math.Min(length, data.Count - position)); break;
                case 4:
                {
                    var count = Math.Min(length, data.Count - position);
                    data.InsertRange(Math.Min(data.Count, (int)((value / 255.0) * data.Count)), data.GetRange(position, count));
                    break;
                }
                case 5:
                case 6:
                {
                    var token = Tokens[value % Tokens.Length];
                    for (var i = 0; i < token.Length && position + i < data.Count; i++) data[position + i] = token[i];
                    break;
                }
                default: data.RemoveRange(position, data.Count - position); break;
            }
        }
        return [.. data];
    }
}
