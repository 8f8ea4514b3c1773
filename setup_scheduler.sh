#!/usr/bin/env bash
# Sets up the nightly batch-refresh run: asks systemd or cron, the time and the time zone (defaults
# from the config), then runs `bin/batch-refresh schedule install` with the answers.
#
#   ./setup_scheduler.sh                 ask, Enter takes the default shown in brackets
#   ./setup_scheduler.sh --yes           no questions: the defaults (systemd when your user manager
#                                        answers, else cron; time and zone from the config)
#   ./setup_scheduler.sh --config FILE   another config (default: $BATCH_REFRESH_CONFIG, or
#                                        config/batch_config.json next to this script)
#
# The answers reach the installer as separate arguments; nothing typed here or read from the
# config is ever evaluated by a shell. `bin/batch-refresh schedule show|remove [--cron]` does the rest.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
bin="$here/bin/batch-refresh"
config="${BATCH_REFRESH_CONFIG:-$here/config/batch_config.json}"
assume_yes=false

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

while (($# > 0)); do
  case "$1" in
    -y | --yes) assume_yes=true ;;
    --config)
      if (($# < 2)); then
        echo "setup_scheduler.sh: --config needs a file" >&2
        exit 2
      fi
      config=$2
      shift
      ;;
    --config=*) config=${1#--config=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "setup_scheduler.sh: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

# The config's scheduling.run_time and .timezone; node parses the JSON, the path is an argument.
# A missing or broken config leaves the built-in defaults; the installer then reports the problem.
default_time=02:00
default_timezone=America/New_York
if defaults=$(node -e '
  let s = {};
  try { s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).scheduling || {}; } catch {}
  const one = (v, d) => (typeof v === "string" && /^[^\n]+$/.test(v) ? v : d);
  process.stdout.write(one(s.run_time, "02:00") + "\n" + one(s.timezone, "America/New_York"));
' "$config" 2>/dev/null); then
  default_time=${defaults%%$'\n'*}
  default_timezone=${defaults#*$'\n'}
fi

if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
  default_scheduler=systemd
else
  default_scheduler=cron
fi

# ask PROMPT DEFAULT PATTERN: prints the answer (the default on Enter or end of input); asks again,
# at most three times, while the answer does not match PATTERN.
ask() {
  local prompt=$1 default=$2 pattern=$3 answer attempt
  for attempt in 1 2 3; do
    if [[ $assume_yes == true ]]; then
      answer=$default
    else
      printf '%s [%s]: ' "$prompt" "$default" >&2
      IFS= read -r answer || answer=''
      answer=${answer:-$default}
    fi
    if [[ $answer =~ $pattern ]]; then
      printf '%s\n' "$answer"
      return 0
    fi
    echo "setup_scheduler.sh: '$answer' is not valid here (attempt $attempt of 3)" >&2
    if [[ $assume_yes == true ]]; then break; fi
  done
  return 2
}

scheduler=$(ask 'Scheduler: systemd (user timer) or cron' "$default_scheduler" '^(systemd|cron)$') || exit 2
time=$(ask 'Time of the nightly run (HH:MM, 24-hour)' "$default_time" '^([01][0-9]|2[0-3]):[0-5][0-9]$') || exit 2
timezone=$(ask 'Time zone (IANA, e.g. America/New_York)' "$default_timezone" '^[A-Za-z0-9_+/-]+$') || exit 2

args=(schedule install --config "$config" --time "$time" --timezone "$timezone")
if [[ $scheduler == cron ]]; then
  args+=(--cron)
fi
printf 'running: %q' "$bin" >&2
printf ' %q' "${args[@]}" >&2
printf '\n' >&2
exec "$bin" "${args[@]}"
