// Files bundled as text by wrangler's [[rules]] (wrangler.toml): the agent and its installer.
declare module "*.sh" {
  const text: string;
  export default text;
}
declare module "*/agent-script/lifeboat" {
  const text: string;
  export default text;
}
