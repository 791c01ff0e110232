#!/usr/bin/env node
// Launcher: finds the platform package npm installed beside this one (chosen by
// its os, cpu and libc fields) and runs its binary with our arguments.
"use strict";

const { spawnSync } = require("child_process");

const binaryName = process.platform === "win32" ? "muslcheck.exe" : "muslcheck";

// glibc's version is in the process report on glibc systems only.
function libcFamily() {
  if (process.platform !== "linux") return null;
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? "gnu" : "musl";
  } catch {
    return "musl";
  }
}

// The package for this system first; on Linux the other libc's package next:
// the Linux binary is static and runs on both, so either one will do.
function candidates() {
  const base = `@muslcheck/${process.platform}-${process.arch}`;
  const libc = libcFamily();
  if (libc === null) return [base];
  const other = libc === "gnu" ? "musl" : "gnu";
  return [`${base}-${libc}`, `${base}-${other}`];
}

function findBinary() {
  if (process.env.MUSLCHECK_BINARY) return process.env.MUSLCHECK_BINARY;
  for (const name of candidates()) {
    try {
      return require.resolve(`${name}/bin/${binaryName}`);
    } catch {
      // Not installed (another platform's package): try the next.
    }
  }
  return null;
}

const binary = findBinary();
if (binary === null) {
  console.error(
    `muslcheck: no binary for ${process.platform}-${process.arch} ` +
      `(looked for ${candidates().join(", ")}); ` +
      "was the install run with --omit=optional or --no-optional? " +
      "Other ways to install: pip install muslcheck, or a release binary."
  );
  process.exit(1);
}

const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  console.error(`muslcheck: could not run ${binary}: ${result.error.message}`);
  process.exit(1);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 1 : result.status);
