/**
 * The tree is formatted by Prettier (.prettierrc.json) and no line is wider than its printWidth,
 * except where the excess is a string, template or regular-expression literal: Prettier does not split
 * literals, and a message kept on one line can be found with grep.
 */
import { readFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const root = resolve(__dirname, '../../..');
// Prettier's API loads itself by dynamic import, which Jest's CommonJS runtime refuses: run its CLI.
const prettierCli = join(root, 'node_modules/prettier/bin/prettier.cjs');
const { printWidth } = JSON.parse(readFileSync(join(root, '.prettierrc.json'), 'utf8')) as { printWidth: number };

/** The TypeScript files written by hand: tracked or new, not generated. */
function typescriptFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mts', '*.tsx'], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((path) => path !== '' && !path.startsWith('test/generated/') && !path.startsWith('migrations/'));
}

const LITERALS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
]);

/** Tokens after which a `/` divides; anywhere else it starts a regular expression. */
const ENDS_AN_OPERAND = new Set([
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.ThisKeyword,
]);

/**
 * The text with every one-line string, template and regular-expression literal shortened to a pair of quotes, so that
 * only code and comments count toward the width. TypeScript's scanner reads the tokens; what a parser
 * would tell it is done here: a `}` that closes a template's substitution goes on as the template,
 * and a `/` where an operand starts begins a regular expression.
 */
function withoutLiterals(text: string): string {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const substitutions: number[] = []; // open braces inside each template substitution, innermost last
  let previous = ts.SyntaxKind.Unknown;
  let out = '';
  let last = 0;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    const depth = substitutions.length;
    if (kind === ts.SyntaxKind.OpenBraceToken && depth > 0) substitutions[depth - 1]++;
    else if (kind === ts.SyntaxKind.CloseBraceToken && depth > 0) {
      if (substitutions[depth - 1] === 0) kind = scanner.reScanTemplateToken(false);
      else substitutions[depth - 1]--;
    } else if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && !ENDS_AN_OPERAND.has(previous)) {
      kind = scanner.reScanSlashToken();
    }
    if (kind === ts.SyntaxKind.TemplateHead) substitutions.push(0);
    if (kind === ts.SyntaxKind.TemplateTail) substitutions.pop();
    if (LITERALS.has(kind) && !scanner.getTokenText().includes('\n')) {
      out += text.slice(last, scanner.getTokenStart()) + '""';
      last = scanner.getTokenEnd();
    }
    previous = kind;
  }
  return out + text.slice(last);
}

it('every file is as Prettier formats it', async () => {
  const check = promisify(execFile)(process.execPath, [prettierCli, '--check', '--log-level', 'warn', '.'], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  // Exit 1 lists the files that differ ("npx prettier --write <file>" formats one).
  const { stdout, stderr } = await check.catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? 'failed',
  }));
  expect(`${stdout}${stderr}`).toBe('');
}, 300_000);

it('no line of code or comment is wider than printWidth', () => {
  const wide: string[] = [];
  for (const path of typescriptFiles()) {
    withoutLiterals(readFileSync(resolve(root, path), 'utf8'))
      .split('\n')
      .forEach((line, index) => {
        if (line.length > printWidth) wide.push(`${path}:${index + 1} (${line.length})`);
      });
  }
  expect(wide).toEqual([]);
});
