import { Hono } from "hono";
import { onPaidPlan } from "../../env";
import { overview } from "../../services/dashboard";
import { OverviewPage } from "../../views/admin/overview";
import type { AdminEnv } from "./guard";

export const overviewRoutes = new Hono<AdminEnv>();

overviewRoutes.get("/", async (c) => {
  const page = c.get("page");
  return c.html(<OverviewPage page={page} data={await overview(c.get("db"), page.now)} paid={onPaidPlan(c.env)} />);
});
