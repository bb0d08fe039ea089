using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Lstm.Cli.Commands;

// Exit codes: 0 success, 2 usage error, 1 runtime error (one line on stderr; --verbose adds the stack trace).
var verbose = new Option<bool>("--verbose") { Description = "Show the stack trace of an error.", Recursive = true };
// A Command, not a RootCommand: a root takes the executable's name (Lstm.Cli) for its usage line; the command is `lstm`.
var root = new Command("lstm", "lstm: train and run recurrent sequence models (Deep Learning from Scratch 2) in pure managed .NET.")
{
    new HelpOption(),
    new VersionOption(),
    verbose,
    TrainCommand.Create(),
    ModelCommands.CreateEval(),
    ModelCommands.CreateGenerate(),
    ModelCommands.CreateExport(),
    Seq2seqCommand.Create(),
    BenchCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // System.CommandLine prints the errors and its suggestions for mistyped names; the help would bury them.
    if (parse.Action is ParseErrorAction errors)
        errors.ShowHelp = false;
    parse.Invoke();
    Console.Error.WriteLine("Run with --help for usage.");
    return 2;
}

try
{
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    // One line in the command's terms: without the " (Parameter 'x')" that ArgumentException appends.
    string message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
    Console.Error.WriteLine($"error: {message}");
    if (parse.GetValue(verbose))
        Console.Error.WriteLine(e);
    return 1;
}
