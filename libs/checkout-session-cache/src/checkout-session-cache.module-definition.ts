import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  CheckoutSessionCacheModuleExtras,
  CheckoutSessionCacheModuleOptions,
} from './interfaces/checkout-session-cache-options.interface.js';

/** Module scaffolding for `forRoot` / `forRootAsync`, with the `isGlobal` and `store` extras. */
export const {
  ConfigurableModuleClass: CheckoutSessionCacheConfigurableModule,
  MODULE_OPTIONS_TOKEN: CHECKOUT_SESSION_CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE: CHECKOUT_SESSION_CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CHECKOUT_SESSION_CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CheckoutSessionCacheModuleOptions>({ moduleName: 'CheckoutSessionCache' })
  .setClassMethodName('forRoot')
  .setExtras<CheckoutSessionCacheModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
