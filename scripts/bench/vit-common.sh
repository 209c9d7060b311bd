# Sourced by the issue-13 ViT bench scripts: the CLI, ORT accuracy on the 10 000 test images, and MODEL[:MEAN,STD] specs.
nnzip=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/nnzip
acc() { "$nnzip" eval "$1" --data fashion-mnist --runtime ort --json "${@:2}" 2>/dev/null | grep -m1 '"accuracy"' | tr -dc '0-9.'; }
# spec F[:MEAN,STD] -> f (the file), norm (the --normalize flags, maybe none), n (the name)
parse_spec() { f=${1%%:*}; norm=(); [[ $1 == *:* ]] && norm=(--normalize "${1#*:}"); n=$(basename "$f" .onnx); }
