package main

import (
	"os"
	"slices"
	_ "time/tzdata" // CronJob time zones, as in the upstream mains

	// Same blank imports as the upstream cmd/kube-* mains.
	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl auth plugins
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"

	"github.com/spf13/pflag"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwokcmd "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	kwoksignals "sigs.k8s.io/kwok/pkg/utils/signals"
)

// k8s.io/kubernetes/cmd/kube-apiserver/apiserver.go
func runAPIServer() { os.Exit(cli.Run(apiserverapp.NewAPIServerCommand())) }

// k8s.io/kubernetes/cmd/kube-controller-manager/controller-manager.go
func runControllerManager() { os.Exit(cli.Run(kcmapp.NewControllerManagerCommand())) }

// k8s.io/kubernetes/cmd/kube-scheduler/scheduler.go
func runScheduler() { os.Exit(cli.Run(schedulerapp.NewSchedulerCommand())) }

// k8s.io/kubernetes/cmd/kubectl/kubectl.go
func runKubectl() {
	// k8s.io/component-base/version/verflag (linked in for the server
	// components) registers --version on pflag.CommandLine, which cobra adds
	// to every root command; upstream kubectl has no such flag.
	dropGlobalFlags("version")
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err)
	}
}

// sigs.k8s.io/kwok/cmd/kwok/main.go (v0.8.0)
func runKwok() {
	// cobra adds pflag.CommandLine to the root command; in this binary it holds
	// flags the k8s server packages register in init (e.g. a non-bool
	// --version that breaks cobra's own --version: "trying to get bool value
	// of flag of type version"). The upstream kwok binary has none of them.
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := kwoksignals.SetupSignalContext()
	ctx, logger := kwoklog.InitFlags(ctx, flagset)

	ctx, err := kwokconfig.InitFlags(ctx, flagset)
	if err != nil {
		_, _ = os.Stderr.Write([]byte(flagset.FlagUsages()))
		logger.Error("Init config flags", "err", err)
		os.Exit(1)
	}

	command := kwokcmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		os.Exit(1)
	}
}

// dropGlobalFlags removes flags from pflag.CommandLine.
func dropGlobalFlags(names ...string) {
	fs := pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
	pflag.CommandLine.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(names, f.Name) {
			fs.AddFlag(f)
		}
	})
	pflag.CommandLine = fs
}
