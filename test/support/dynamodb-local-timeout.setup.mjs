// Set up in every suite of the projects with DynamoDB Local: Jest's timeout stays above DynamoDB Local's start wait,
// since some suites start one of their own in a test or a hook. (Jest reads `testTimeout` only from the root config.)
import { jest } from '@jest/globals';
import { DYNAMODB_LOCAL_START_TIMEOUT_MS } from '../../scripts/dynamodb-local.launcher.mjs';

jest.setTimeout(DYNAMODB_LOCAL_START_TIMEOUT_MS + 30_000);
