import { Type } from '@sinclair/typebox';
import { ADMIN_ERROR_CODES } from '../errors/error-codes.js';
import { StringEnum } from './string-enum.js';

/** Every error reply. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: StringEnum(ADMIN_ERROR_CODES, 'Stable error code'),
    message: Type.String(),
  },
  { title: 'Error' },
);

/** The error replies every route may give, for its `response` schema. */
export const ERROR_RESPONSES = {
  '4xx': ErrorSchema,
  '5xx': ErrorSchema,
} as const;
