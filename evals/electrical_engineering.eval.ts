import { defineSubject } from '../src/suite.js'

defineSubject('electrical_engineering')
