// GET/PATCH /api/tasks/{id}/validation_layout for tasks without validation, as CVAT's
// TaskViewSet.validation_layout (cvat/apps/engine/views.py): GET answers
// TaskValidationLayoutReadSerializer(SimpleNamespace(mode=None)), i.e. {"mode": null} (the other
// fields are optional and absent); PATCH *returns* a ValidationError instead of raising it, which
// DRF cannot render: a plain 500. Tasks with honeypots (validation_params at creation) are not
// emulated by this server.
import type { Core } from './core.js';
import type { Router } from './router.js';
import { taskAccess } from './tasks.js';
import { textError } from './http-kit.js';

export function registerValidationLayoutRoutes(core: Core, router: Router): void {
  router.add(['GET', 'PATCH'], /^\/api\/tasks\/(?<id>\d+)\/validation_layout\/?$/, async (ctx) => {
    taskAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'PATCH') {
      await ctx.drain();
      throw textError(500, '<h1>Server Error (500)</h1>');
    }
    await ctx.sendJson(200, { mode: null });
  });
}
