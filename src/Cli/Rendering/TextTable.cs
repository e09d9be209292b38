using Spectre.Console;

namespace ImageCache.Cli.Rendering;

/// <summary>
/// A table that is a Spectre table on a terminal and plain aligned columns when piped (no trailing blanks, no
/// wrapping), so scripts can read it with <c>awk</c>.
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    readonly List<string[]> rows = [];
    readonly HashSet<int> rightAligned = [];

    public TextTable RightAlign(int column)
    {
        rightAligned.Add(column);
        return this;
    }

    public TextTable Add(params string[] cells)
    {
        rows.Add(cells);
        return this;
    }

    public void Write(CommandContext context)
    {
        if (context.Environment.OutputIsTerminal)
        {
            var table = new Table().Border(TableBorder.None);
            for (var i = 0; i < headers.Length; i++)
            {
                var column = new TableColumn(new Text(headers[i], new Style(decoration: Decoration.Bold)));
                if (rightAligned.Contains(i)) column.RightAligned();
                table.AddColumn(column);
            }
            foreach (var row in rows) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
            context.Console.Write(table);
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(headers))
        {
            var cells = row.Select((cell, i) =>
                i == row.Length - 1 && !rightAligned.Contains(i) ? cell
                : rightAligned.Contains(i) ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            context.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
