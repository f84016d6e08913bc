# shellcheck shell=sh
# Sourced by bench/plot_churn.sh and bench/plot_record.sh: each strategy has
# the same colour in every plot; a name not listed (a plugin's) gets one
# derived from the name.
colour() {
	case $1 in
	kernel) echo "#000000" ;;
	none) echo "#7f7f7f" ;;
	none-5.x) echo "#bcbd22" ;;
	atomic) echo "#d62728" ;;
	percpu) echo "#ff7f0e" ;;
	bitfield) echo "#2ca02c" ;;
	rcu) echo "#1f77b4" ;;
	rwsem) echo "#9467bd" ;;
	unsafe) echo "#e377c2" ;;
	*) printf '%s' "$1" | cksum | awk '{ printf "#%06x\n", ($1 * 2654435761) % 16777216 }' ;;
	esac
}
