using System.CommandLine;
using Lstm.Cli.Commands;

var root = new RootCommand("lstm: train and run LSTM language models (Deep Learning from Scratch 2, chapter 6) in pure managed .NET.")
{
    TrainCommand.Create(),
    BenchCommand.Create(),
};
return root.Parse(args).Invoke();
