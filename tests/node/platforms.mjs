// Drives @anthropic-ai/bedrock-sdk and @anthropic-ai/vertex-sdk the way a Node app does, against
// CLAUDE_FAKES_URL (a claude-fakes scope), with dummy credentials.
// Usage: node platforms.mjs bedrock|vertex create|stream. Prints one JSON line: what the caller saw.
import { AnthropicBedrock } from "@anthropic-ai/bedrock-sdk";
import { AnthropicVertex } from "@anthropic-ai/vertex-sdk";

const [platform, mode] = process.argv.slice(2);
const baseURL = process.env.CLAUDE_FAKES_URL;
const clients = {
  bedrock: () => new AnthropicBedrock({ baseURL, awsRegion: "us-east-1", awsAccessKey: "AKIAEXAMPLEEXAMPLE00",
                                        awsSecretKey: "not-a-real-secret", maxRetries: 2 }),
  // vertex-sdk 1.1 takes its token from an AuthClient only (accessToken is kept but unused): a stub
  // one, so google-auth never looks for credentials on the network.
  vertex: () => new AnthropicVertex({ baseURL, region: "us-east5", projectId: "claude-fakes-test", maxRetries: 2,
                                      authClient: { getRequestHeaders: async () => new Headers(
                                        { authorization: "Bearer ya29.not-a-real-token" }) } }),
};
const models = { bedrock: "anthropic.claude-sonnet-4-5-20250929-v1:0", vertex: "claude-sonnet-4-5@20250929" };
const request = { model: models[platform], max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

function report(fields) {
  console.log(JSON.stringify(fields));
}

try {
  const client = clients[platform]();
  if (mode === "create") {
    const message = await client.messages.create(request);
    report({ ok: true, id: message.id, text: message.content[0]?.text ?? null });
  } else if (mode === "stream") {
    const events = [];
    const stream = client.messages.stream(request);
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    report({ ok: true, id: message.id, text: message.content[0]?.text ?? null, events });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (error) {
  report({ ok: false, error: error?.constructor?.name ?? String(error), message: String(error?.message ?? error),
           status: error?.status ?? null });
}
