// An app on the TypeScript Agent SDK: one question (argv[2]) to an agent without tools, its answer on
// stdout. AGENT_ENV holds claude_agent_env as JSON, laid over this process's environment.
import { query } from "@anthropic-ai/claude-agent-sdk";

const env = { ...process.env, ...JSON.parse(process.env.AGENT_ENV) };
const options = { env, maxTurns: 1, tools: [], settingSources: [] };
let answer = "";
for await (const message of query({ prompt: process.argv[2], options })) {
  if (message.type === "result") answer = message.result ?? "";
}
console.log(answer);
