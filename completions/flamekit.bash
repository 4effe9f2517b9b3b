# flamekit.bash: bash completion for flamekit (installed as
# share/bash-completion/completions/flamekit).
_flamekit() {
	local cur cmd opts
	cur=${COMP_WORDS[COMP_CWORD]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "record dump collapse convert top flamegraph diff serve agent --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$cmd" in
	record)
		opts="--output --all-cpus --cpu --cgroup --freq --count --duration --preset --event --call-graph --mmap-pages --user-only --period --off-cpu --wall --min-block --alloc --alloc-interval --lock --python --native --blocking --full-filenames --no-lineno --threads --idle --gil --subprocesses --pid --tid --kernel --jit --all --addrs --inline --context --title --subtitle --width --minwidth --colors --countname --inverted --reverse --quiet --help" ;;
	dump)
		opts="--pid --blocking --full-filenames --no-lineno --help" ;;
	collapse)
		opts="--output --format --sample-type --threads --quiet --pid --tid --kernel --jit --all --addrs --event-filter --inline --context --srcline --help" ;;
	convert)
		opts="--output --to --format --sample-type --event-filter --name --focus --ignore --quiet --pid --tid --kernel --jit --all --addrs --inline --context --help" ;;
	top)
		opts="--rows --sort --focus --ignore --output --format --sample-type --event-filter --threads --quiet --pid --tid --kernel --jit --all --addrs --inline --context --help" ;;
	flamegraph)
		opts="--output --format --sample-type --title --subtitle --width --height --minwidth --fonttype --fontsize --fontwidth --countname --nametype --colors --bgcolors --hash --random --cp --reverse --inverted --flamechart --negate --notes --total --factor --nameattr --encoding --base --focus --ignore --help" ;;
	serve)
		opts="--listen --db --retention --token --max-body --compact-every --alert --alert-file --alert-every --webhook --help" ;;
	agent)
		opts="--server --app --tag --freq --interval --python --off-cpu --token --buffer-dir --buffer-size --flush-timeout --cgroup --all-cpus --user-only --pid --tid --kernel --jit --all --addrs --inline --context --quiet --help" ;;
	diff)
		opts="--normalize --strip-hex --output --format --sample-type --quiet --help" ;;
	esac
	case "$cur" in
	-*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -o filenames -F _flamekit flamekit
